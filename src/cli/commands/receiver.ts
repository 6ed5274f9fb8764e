import { apiRegistrar } from "../listen-register.ts";
import { LISTEN_HELP, LISTEN_OPTIONS, runListen } from "../listen.ts";
import { type Command, client, clientOptions, parse, readStdin, showHelp, usage } from "../shared.ts";
import { runVerify } from "../verify.ts";

/** `tocsin listen` and `tocsin verify`, the receiver's end; their code is in listen.ts and verify.ts. */

export const listen: Command = async (args, env, io) => {
  const v = parse(args, { ...clientOptions, ...LISTEN_OPTIONS });
  if (v.help) return showHelp(io, LISTEN_HELP);
  return await runListen(v, io, usage, v.tenant === undefined ? null : apiRegistrar(client(v, env)));
};

export const verify: Command = (args, _env, io) => runVerify(args, io, usage, readStdin);
