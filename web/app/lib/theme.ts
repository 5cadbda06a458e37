// The colour theme is a cookie so the server renders the right one (no flash on load).
export const THEMES = ['light', 'dark', 'system'] as const;
export type Theme = (typeof THEMES)[number];
export const THEME_COOKIE = 'trellis_theme';

export function readTheme(cookieHeader: string | null): Theme {
  const match = /(?:^|;\s*)trellis_theme=([a-z]+)/.exec(cookieHeader ?? '');
  const value = match?.[1];
  return (THEMES as readonly string[]).includes(value ?? '') ? (value as Theme) : 'system';
}
