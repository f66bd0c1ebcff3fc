/** Request URLs as they may be logged: API keys in query strings (Otomax) are masked. */
export function maskUrl(url: string): string {
  return url.replace(/([?&](?:apikey|api_key|key|token|secret)=)[^&#]*/gi, '$1***');
}
