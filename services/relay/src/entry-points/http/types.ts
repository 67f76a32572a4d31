/** The first parameter of a function (the deps object of a use case). */
export type Parameters0<F> = F extends (first: infer A, ...rest: never[]) => unknown ? A : never;
