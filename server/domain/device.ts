// Devices: desk phones known by MAC, each with lines pointing at extensions,
// and the status rule that tells an admin whether a phone has its config.
import type { Mac } from './mac.ts';
import { notifyView, type NotifyRecord } from './notify.ts';

export interface DeviceLine {
  line: number;
  extension: string;
}

/**
 * How a phone proved who it was when it fetched its credential-bearing file:
 * one of its passwords, or its claim window's one delivery. Absent on a
 * record from before this was kept.
 */
export type FetchProof = 'current' | 'previous' | 'claim';

export interface LastFetch {
  at: string;
  ip: string;
  userAgent: string;
  file: string;
  credential?: FetchProof | null;
}

/**
 * The last request of a phone that proved nothing (one waiting in the inbox
 * asking again). Shown to the admin apart from lastFetch and never trusted:
 * no NOTIFY goes to this address.
 */
export interface LastSeen {
  at: string;
  ip: string;
  userAgent: string;
  file: string;
  /** How many sightings were recorded (at most one per device every few minutes). */
  count?: number;
}

/** Longest User-Agent kept anywhere (fetch records, audit details): a header is the client's to fill. */
export const MAX_STORED_USER_AGENT = 200;
export const storedUserAgent = (ua: string) => ua.slice(0, MAX_STORED_USER_AGENT);

export interface DeviceRecord {
  mac: Mac;
  vendor: string;
  model: string | null;
  /** As a phone reported it when it was first seen, when it was. */
  firmware?: string | null;
  label: string | null;
  lines: DeviceLine[];
  /** The site the admin placed the device in; absent: its first line's extension's site (domain/site.ts deviceSite). */
  site?: string;
  /** Bumped whenever the bytes of any file rendered for the device change. */
  configVersion: number;
  /** The configVersion served by the last fetch of the credential-bearing file. */
  fetchedVersion: number | null;
  /** The last fetch of the credential-bearing file by a phone that proved itself. */
  lastFetch: LastFetch | null;
  /** Kept by the store apart from the device row, like lastFetch. */
  lastSeen?: LastSeen | null;
  /**
   * How many fetches recordFetch() has counted, kept by the store with the
   * fetch state (insert-device seeds it from lastFetch, update-device leaves it).
   */
  fetchCount?: number;
  /** The password this phone authenticates to us with (its user is its MAC), sealed. */
  provPasswordSealed: string;
  /**
   * The password before the last rotation, sealed like the current one, kept
   * until the phone has fetched a file carrying the new one (see
   * previousPasswordAlive); null when there is none.
   */
  provPasswordPreviousSealed?: string | null;
  /** The configVersion when the password was last rotated: a fetch past it carried the new one. */
  rotatedFromVersion?: number | null;
  credentialsRotatedAt?: string | null;
  /**
   * Until when a fetch without credentials is served (the zero-touch claim
   * window), or null when closed. Kept by the store apart from the device
   * row, like the fetch state: insert-device seeds it, open-claim and
   * close-claim change it, update-device leaves it alone.
   */
  claimUntil: string | null;
  /** Where a `direct` check-sync NOTIFY goes (`sip:host:port;transport=udp`); null: the last proven fetch's address. */
  sipContact?: string | null;
  /**
   * The last check-sync NOTIFY's outcome. Kept by the store apart from the
   * device row, like the fetch state: recordNotify() changes it, insert-device
   * and update-device leave it alone. Absent when the device was never notified.
   */
  notify?: NotifyRecord | null;
  createdAt: string;
  updatedAt: string;
  rev: number;
}

export const DEVICE_STATUSES = ['unassigned', 'never', 'pending', 'synced'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export function deviceStatus(d: Pick<DeviceRecord, 'lines' | 'configVersion' | 'fetchedVersion'>): DeviceStatus {
  if (d.lines.length === 0) return 'unassigned';
  if (d.fetchedVersion === null) return 'never';
  return d.fetchedVersion < d.configVersion ? 'pending' : 'synced';
}

/** `now` decides whether an acknowledged NOTIFY without a fetch since is overdue (`no-fetch`). */
export function publicDevice(d: DeviceRecord, now?: Date) {
  return {
    mac: d.mac,
    vendor: d.vendor,
    model: d.model,
    firmware: d.firmware ?? null,
    label: d.label,
    lines: d.lines,
    status: deviceStatus(d),
    configVersion: d.configVersion,
    fetchedVersion: d.fetchedVersion,
    lastFetch: d.lastFetch,
    lastSeen: d.lastSeen ?? null,
    claimUntil: d.claimUntil,
    // Which password the phone last fetched with, never the password.
    credentials: {
      lastUsed: d.lastFetch?.credential === 'claim' ? null : (d.lastFetch?.credential ?? null),
      rotatedAt: d.credentialsRotatedAt ?? null,
      previousAccepted: previousPasswordAlive(d),
    },
    sipContact: d.sipContact ?? null,
    /** The site the admin placed it in; null: it is in its first line's extension's site. */
    site: d.site ?? null,
    notify: notifyView(d.notify, d.lastFetch, now ?? new Date(0)),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/**
 * The previous password works until the phone fetched a file carrying the
 * new one: a rotation never strands a phone that has not fetched yet.
 */
export function previousPasswordAlive(
  d: Pick<DeviceRecord, 'provPasswordPreviousSealed' | 'rotatedFromVersion' | 'fetchedVersion'>,
): boolean {
  if (!d.provPasswordPreviousSealed) return false;
  return d.fetchedVersion === null || d.fetchedVersion <= (d.rotatedFromVersion ?? -1);
}

export function claimOpen(d: Pick<DeviceRecord, 'claimUntil'>, now: Date): boolean {
  return d.claimUntil !== null && Date.parse(d.claimUntil) > now.getTime();
}
