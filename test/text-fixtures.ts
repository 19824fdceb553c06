// Text for the tests of the sequence families: sentences of one fixed pattern, learnt by a small model in a few
// epochs, so a test can check that decoding, homotopies and figures come from a model that has learnt something.

const WORDS = ['red', 'green', 'blue', 'cat', 'dog', 'bird', 'runs', 'sleeps', 'sings'];

/** `lines` sentences "the <colour> <animal> <verb> ." (13 word types), one a line. */
export function patternCorpus(lines: number): string {
  return Array.from(
    { length: lines },
    (_, i) => `the ${WORDS[i % 3]} ${WORDS[3 + ((i >> 2) % 3)]} ${WORDS[6 + ((i >> 4) % 3)]} .`,
  ).join('\n');
}
