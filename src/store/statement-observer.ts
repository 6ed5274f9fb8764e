/**
 * Told the SQL text and the elapsed nanoseconds of each statement a store runs, when the operator
 * turned statement profiling on (TOCSIN_PROFILE_STATEMENTS). A store given none times nothing:
 * it picks its plain functions once, at creation, so profiling off costs no clock reads.
 */
export type StatementObserver = (sql: string, ns: bigint) => void;
