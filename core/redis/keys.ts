// Redis key names read by more than one process: the ai activity (worker) writes the answer-cache
// counters, GET …/usage (api) reads them. Here, not in activities/, so the api does not load the
// activity (and the OpenAI client) to learn two names.

/** Cached AI answers: `${AI_CACHE_PREFIX}<hash>`. */
export const AI_CACHE_PREFIX = 'ai:cache:';
/** Answer-cache hits, in total and per team (`${AI_CACHE_HITS_KEY}:<teamId>`). */
export const AI_CACHE_HITS_KEY = 'ai:cache:hits';
/** Answer-cache misses, in total and per team (`${AI_CACHE_MISSES_KEY}:<teamId>`). */
export const AI_CACHE_MISSES_KEY = 'ai:cache:misses';
