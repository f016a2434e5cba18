/**
 * What a model call waiting for a busy local model says (a run's step, a draft's section): the
 * local model's sequences are all taken, `ahead` requests are before this one.
 */
export function queuedNote(ahead: number): string {
  const others = ahead === 0 ? 'It starts as soon as the model finishes what it is writing now.' : `${ahead} other ${ahead === 1 ? 'request is' : 'requests are'} ahead of it.`;
  return `Waiting for the model: it is busy with other requests. ${others}`;
}
