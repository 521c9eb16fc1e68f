import { createHmac } from 'node:crypto';
import type { IceServer } from './consultations.model.ts';

export interface IceSettings {
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | undefined;
  turnTtlSeconds: number;
}

export const splitUrls = (list: string): string[] =>
  list
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);

/**
 * coturn's TURN REST credentials (`use-auth-secret`): username `<expiry unix seconds>:<userId>`, credential
 * base64(HMAC-SHA1(static-auth-secret, username)). coturn checks both and refuses an expired username.
 */
export function turnCredentials(secret: string, userId: string, expiresAt: Date) {
  const username = `${Math.floor(expiresAt.getTime() / 1000)}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** STUN entries, and TURN ones with fresh credentials when TURN is set up; nothing when neither is. */
export function iceServersFor(settings: IceSettings, userId: string, now: Date): IceServer[] {
  const servers: IceServer[] = [];
  if (settings.stunUrls.length) servers.push({ urls: settings.stunUrls });
  if (settings.turnUrls.length && settings.turnSecret) {
    const expiresAt = new Date(now.getTime() + settings.turnTtlSeconds * 1000);
    servers.push({ urls: settings.turnUrls, ...turnCredentials(settings.turnSecret, userId, expiresAt) });
  }
  return servers;
}
