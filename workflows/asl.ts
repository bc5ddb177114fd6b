/**
 * The states nested in a state of an Amazon States Language definition: each branch of a Parallel,
 * and the processor of a Map (`ItemProcessor`, or the older `Iterator`). Every walk over a
 * definition goes through here, so a state inside a Map is found wherever one inside a Parallel is.
 */
export function nestedStates<S>(state: { readonly Branches?: readonly { readonly States: S }[]; readonly ItemProcessor?: { readonly States: S }; readonly Iterator?: { readonly States: S } }): S[] {
  return [...(state.Branches ?? []).map((b) => b.States), ...[state.ItemProcessor ?? state.Iterator].flatMap((p) => (p ? [p.States] : []))];
}
