/** A setting that cannot be used as given; the message names it and says what would work. */
export class ConfigError extends Error {}
