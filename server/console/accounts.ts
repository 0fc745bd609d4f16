// Console accounts: the setup of the first admin, sign-in and sign-out, the
// session behind a cookie, and the admin's user management. Sessions live in
// the store, so any instance can check a cookie another one issued.
import { Conflict, InvalidInput, NotFound } from '../domain/errors.ts';
import { ADMINS_GUARD, hashToken, type Actor, type Role } from '../domain/token.ts';
import {
  DUMMY_HASH,
  hashPassword,
  newSessionId,
  passwordProblem,
  publicUser,
  userActorName,
  verifyPassword,
  type SessionRecord,
  type UserRecord,
} from '../domain/user.ts';
import { auditOp } from '../provisioning/audit/audit-op.ts';
import type { RunChange } from '../provisioning/change/change-runner.ts';
import { DuplicateKey, readGuard, type Store, type WriteOp } from '../storage/store.ts';

export interface SessionLimits {
  idleMinutes: number;
  maxHours: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMinutes: 30, maxHours: 12 };

export interface AccountsDeps {
  store: Store;
  clock: () => Date;
  runChange: RunChange;
  /** Who an API token stands for: the setup code is an admin token. */
  authenticateToken: (token: string) => Promise<Actor | null>;
  /** Called once the first admin exists (the composition root deletes the admin-token file). */
  onFirstAdmin: () => void;
  limits?: SessionLimits;
}

export interface SessionActor extends Actor {
  username: string;
}

export interface NewUser {
  username: string;
  role: Role;
  password: string;
}

/** How often a session's last-seen time is written at most; idle checks are this coarse. */
const TOUCH_EVERY_MS = 60_000;
const target = (username: string) => `user:${username}`;

export type Accounts = ReturnType<typeof createAccounts>;

export function createAccounts({ store, clock, runChange, authenticateToken, onFirstAdmin, limits = DEFAULT_SESSION_LIMITS }: AccountsDeps) {
  const idleMs = limits.idleMinutes * 60_000;

  function checkPassword(password: string): void {
    const problem = passwordProblem(password);
    if (problem) throw new InvalidInput(`password ${problem}`, 'invalid-password');
  }

  async function load(username: string): Promise<UserRecord> {
    const user = await store.getUser(username);
    if (!user) throw new NotFound(`user ${username} does not exist`, 'user-not-found');
    return user;
  }

  /** The session's record and the writes that open it, with the cookie's id. */
  function openSession(user: UserRecord, now: Date): { id: string; ops: WriteOp[] } {
    const id = newSessionId();
    const at = now.toISOString();
    const record: SessionRecord = {
      idHash: hashToken(id),
      username: user.username,
      createdAt: at,
      lastSeenAt: at,
      expiresAt: new Date(now.getTime() + limits.maxHours * 3_600_000).toISOString(),
    };
    const actor: Actor = { name: userActorName(user.username), role: user.role, tokenId: null };
    return {
      id,
      ops: [
        { op: 'delete-expired-sessions', now: at, idleBefore: new Date(now.getTime() - idleMs).toISOString() },
        { op: 'insert-session', record },
        auditOp(actor, at, 'session.created', target(user.username)),
      ],
    };
  }

  function admins(users: UserRecord[]) {
    return users.filter((u) => u.role === 'admin');
  }

  return {
    limits,

    async needsSetup(): Promise<boolean> {
      return (await store.listUsers()).length === 0;
    },

    /** Creates the first admin and signs them in; null when the setup code is not an admin token. */
    async setup(code: string, input: { username: string; password: string }) {
      checkPassword(input.password);
      if ((await store.listUsers()).length > 0) throw new Conflict('setup-done', 'the console is already set up; sign in');
      const by = await authenticateToken(code);
      if (!by || by.role !== 'admin') return null;
      const now = clock();
      const at = now.toISOString();
      const user: UserRecord = {
        username: input.username,
        role: 'admin',
        passwordHash: await hashPassword(input.password),
        createdAt: at,
        updatedAt: at,
        rev: 1,
      };
      const session = openSession(user, now);
      try {
        await runChange(async () => ({
          ops: [
            { op: 'insert-user', record: user, first: true },
            auditOp(by, at, 'user.created', target(user.username), { role: user.role, via: 'setup' }),
            ...session.ops,
          ],
          result: undefined,
        }));
      } catch (err) {
        if (err instanceof Conflict && err.code === 'user-exists') {
          throw new Conflict('setup-done', 'the console is already set up; sign in');
        }
        throw err;
      }
      onFirstAdmin();
      return { sessionId: session.id, user: publicUser(user) };
    },

    /** A new session for a matching username and password, else null (always after one full hash). */
    async signIn(username: string, password: string) {
      const user = await store.getUser(username);
      const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !ok) return null;
      const session = openSession(user, clock());
      await runChange(async () => ({ ops: session.ops, result: undefined }));
      return { sessionId: session.id, user: publicUser(user) };
    },

    async signOut(sessionId: string): Promise<void> {
      const record = await store.findSession(hashToken(sessionId));
      if (!record) return;
      const user = await store.getUser(record.username);
      const actor: Actor = { name: userActorName(record.username), role: user?.role ?? 'viewer', tokenId: null };
      await runChange(async () => ({
        ops: [
          { op: 'delete-session', idHash: record.idHash },
          auditOp(actor, clock().toISOString(), 'session.ended', target(record.username)),
        ],
        result: undefined,
      }));
    },

    /** The person a session cookie stands for, or null when it is unknown, idle too long or too old. */
    async authenticate(sessionId: string): Promise<SessionActor | null> {
      const record = await store.findSession(hashToken(sessionId));
      if (!record) return null;
      const now = clock().getTime();
      const seen = Date.parse(record.lastSeenAt);
      if (Date.parse(record.expiresAt) <= now || seen + idleMs <= now) return null;
      const user = await store.getUser(record.username);
      if (!user) return null;
      if (now - seen >= TOUCH_EVERY_MS) await store.touchSession(record.idHash, new Date(now).toISOString());
      return { name: userActorName(user.username), role: user.role, tokenId: null, username: user.username };
    },

    async list() {
      return (await store.listUsers()).map(publicUser);
    },

    async create(actor: Actor, input: NewUser) {
      checkPassword(input.password);
      const at = clock().toISOString();
      const user: UserRecord = {
        username: input.username,
        role: input.role,
        passwordHash: await hashPassword(input.password),
        createdAt: at,
        updatedAt: at,
        rev: 1,
      };
      try {
        await runChange(async () => ({
          ops: [{ op: 'insert-user', record: user }, auditOp(actor, at, 'user.created', target(user.username), { role: user.role })],
          result: undefined,
        }));
      } catch (err) {
        if (err instanceof Conflict || err instanceof DuplicateKey) {
          throw new Conflict('user-exists', `user ${input.username} already exists`);
        }
        throw err;
      }
      return publicUser(user);
    },

    /** A new role or password signs the user out everywhere. */
    async update(actor: Actor, username: string, patch: { role?: Role; password?: string }) {
      if (patch.password !== undefined) checkPassword(patch.password);
      const passwordHash = patch.password === undefined ? undefined : await hashPassword(patch.password);
      return runChange(async () => {
        // Read before the users: a concurrent demotion committed after this read moves it, and this batch is planned again.
        const guard = await readGuard(store, ADMINS_GUARD);
        const user = await load(username);
        const demotes = patch.role === 'viewer' && user.role === 'admin';
        if (demotes && admins(await store.listUsers()).length === 1) {
          throw new Conflict('last-admin-user', 'this is the last admin account; make another admin first');
        }
        const at = clock().toISOString();
        const next: UserRecord = {
          ...user,
          role: patch.role ?? user.role,
          passwordHash: passwordHash ?? user.passwordHash,
          updatedAt: at,
          rev: user.rev + 1,
        };
        const fields = [...(next.role !== user.role ? ['role'] : []), ...(passwordHash ? ['password'] : [])];
        if (fields.length === 0) return { ops: [], result: publicUser(user) };
        return {
          ops: [
            ...(demotes ? [{ op: 'guard', name: ADMINS_GUARD, expect: guard } as const] : []),
            { op: 'update-user', record: next, expectRev: user.rev },
            { op: 'delete-user-sessions', username },
            auditOp(actor, at, 'user.updated', target(username), { fields }),
          ],
          result: publicUser(next),
        };
      });
    },

    async remove(actor: Actor, username: string): Promise<void> {
      await runChange(async () => {
        const guard = await readGuard(store, ADMINS_GUARD);
        const user = await load(username);
        if (user.role === 'admin' && admins(await store.listUsers()).length === 1) {
          throw new Conflict('last-admin-user', 'this is the last admin account; make another admin first');
        }
        return {
          ops: [
            ...(user.role === 'admin' ? [{ op: 'guard', name: ADMINS_GUARD, expect: guard } as const] : []),
            { op: 'delete-user', username, expectRev: user.rev },
            auditOp(actor, clock().toISOString(), 'user.deleted', target(username)),
          ],
          result: undefined,
        };
      });
    },
  };
}
