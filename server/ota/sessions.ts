/**
 * OTA download sessions: the record of one device fetching one image through the JSON chunk route,
 * and the pure rules every store applies to it (with those of state.ts), so the embedded and the
 * PostgreSQL repositories decide identically. One session per device. Initiating when the device has an
 * active session: the same image, not idle longer than OTA_SESSION_IDLE_SECONDS, resumes it (the
 * answer says which chunk comes next); any session idle longer than that is replaced by a new
 * one; a fresh session for another version is a 409, because two downloads would interleave on
 * one device (a re-packaged build of the same version replaces the session: the old build is gone). `next_chunk` is the first chunk not yet
 * served in order — a hint for a device that lost its place; the device's own verified state
 * (SPEC.md §7) always wins.
 */
import { ConflictError } from '../errors.ts';

/** `abandoned`: active, then silent for OTA_SESSION_ABANDON_SECONDS (the cleanup job closed it). */
export type SessionStatus = 'active' | 'completed' | 'failed' | 'replaced' | 'abandoned';

export interface OtaSession {
  session_id: string;
  device_id: string;
  version: string;
  /** The image build (signed chunk root): a re-packaged version is a different image. */
  chunk_root: string;
  total_chunks: number;
  chunk_size: number;
  encrypted_size: number;
  /** The rollout that assigned this version to the device, if any (its results count there). */
  rollout_id: string | null;
  status: SessionStatus;
  /** Epoch milliseconds. */
  started_at: number;
  last_activity_at: number;
  finished_at: number | null;
  /** First chunk not yet served in order (0..total_chunks). */
  next_chunk: number;
  /** Highest chunk index served, -1 before the first. */
  highest_chunk: number;
  /** Chunk responses sent, refetches included. */
  chunks_served: number;
  /** Chunks served again (index below next_chunk): corrupted transfers, device restarts. */
  refetches: number;
  bytes_served: number;
  error: string | null;
}

/** The image facts a session needs. */
export interface SessionImage {
  version: string;
  chunk_root: string;
  total_chunks: number;
  chunk_size: number;
  encrypted_size: number;
}

export type OpenDecision = { action: 'create' } | { action: 'resume' } | { action: 'replace' };

export function isIdle(session: OtaSession, now: number, idleMs: number): boolean {
  return now - session.last_activity_at > idleMs;
}

/** What initiating `image` does given the device's current session; throws the 409. */
export function decideOpen(existing: OtaSession | undefined, image: SessionImage, now: number, idleMs: number): OpenDecision {
  if (!existing || existing.status !== 'active') return { action: 'create' };
  if (isIdle(existing, now, idleMs)) return { action: 'replace' };
  // Same version: resume; if it was re-packaged meanwhile the old build is gone, so start over.
  if (existing.version === image.version) return existing.chunk_root === image.chunk_root ? { action: 'resume' } : { action: 'replace' };
  const idleFor = Math.max(0, Math.round((now - existing.last_activity_at) / 1000));
  throw new ConflictError(
    `device has an active OTA session for version ${existing.version} (idle ${idleFor} s); finish it, report it with POST /ota/complete, or retry after ${Math.round(idleMs / 1000)} s idle`,
    'ota_session_active',
  );
}

export function newSession(id: string, deviceId: string, image: SessionImage, rolloutId: string | null, now: number): OtaSession {
  return {
    session_id: id,
    device_id: deviceId,
    version: image.version,
    chunk_root: image.chunk_root,
    total_chunks: image.total_chunks,
    chunk_size: image.chunk_size,
    encrypted_size: image.encrypted_size,
    rollout_id: rolloutId,
    status: 'active',
    started_at: now,
    last_activity_at: now,
    finished_at: null,
    next_chunk: 0,
    highest_chunk: -1,
    chunks_served: 0,
    refetches: 0,
    bytes_served: 0,
    error: null,
  };
}

/** The session a chunk fetch may use, or the 409 explaining why there is none. */
export function requireChunkSession(session: OtaSession | undefined, version: string, chunkRoot: string): OtaSession {
  if (!session || session.status !== 'active') {
    throw new ConflictError('no active OTA session for this device: POST /ota/initiate/<device_id> first', 'no_ota_session');
  }
  if (session.version !== version) {
    throw new ConflictError(`the active OTA session is for version ${session.version}, not ${version}`, 'ota_session_version_mismatch');
  }
  if (session.chunk_root !== chunkRoot) {
    throw new ConflictError(`firmware ${version} was re-packaged after this session started: initiate again and use the new manifest`, 'ota_image_changed');
  }
  return session;
}

/**
 * The stale-session rule of the cleanup job: an active session without a request since
 * `silentSince` is closed as abandoned (its device, if it comes back, initiates a new one and
 * resumes from its own verified state). Undefined when the session stays as it is.
 */
export function abandonIfSilent(session: OtaSession, silentSince: number, now: number): OtaSession | undefined {
  if (session.status !== 'active' || session.last_activity_at >= silentSince) return undefined;
  const silentSeconds = Math.round((now - session.last_activity_at) / 1000);
  return { ...session, status: 'abandoned', finished_at: now, error: `abandoned: no request for ${silentSeconds} s` };
}

/** The session after serving chunk `index` of `bytes` bytes. */
export function afterChunk(session: OtaSession, index: number, bytes: number, now: number): OtaSession {
  let next = session.next_chunk;
  if (index === next) next++;
  return {
    ...session,
    next_chunk: next,
    highest_chunk: Math.max(session.highest_chunk, index),
    chunks_served: session.chunks_served + 1,
    refetches: session.refetches + (index < session.next_chunk ? 1 : 0),
    bytes_served: session.bytes_served + bytes,
    last_activity_at: now,
  };
}

export function finishSession(session: OtaSession, success: boolean, error: string | null, now: number): OtaSession {
  return { ...session, status: success ? 'completed' : 'failed', finished_at: now, last_activity_at: now, error: success ? null : error };
}

/** The session as the admin API shows it: ISO times, progress, idle time. */
export function sessionView(s: OtaSession, now: number, idleMs: number) {
  return {
    session_id: s.session_id,
    device_id: s.device_id,
    version: s.version,
    status: s.status,
    rollout_id: s.rollout_id,
    started_at: iso(s.started_at),
    last_activity_at: iso(s.last_activity_at),
    finished_at: s.finished_at === null ? null : iso(s.finished_at),
    idle_seconds: Math.max(0, Math.round((now - s.last_activity_at) / 1000)),
    stale: s.status === 'active' && isIdle(s, now, idleMs),
    total_chunks: s.total_chunks,
    next_chunk: s.next_chunk,
    chunks_served: s.chunks_served,
    refetches: s.refetches,
    progress_percent: s.status === 'completed' ? 100 : Math.round((s.next_chunk / s.total_chunks) * 1000) / 10,
    bytes_served: s.bytes_served,
    encrypted_size: s.encrypted_size,
    error: s.error,
  };
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
