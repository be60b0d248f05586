package store

// The statements of the hot paths, prepared once when the Store opens (see
// stmtCache). Times are milliseconds since the Unix epoch.
const (
	qFindHash = `
		SELECT m.id, o.pubkey, m.namespace, m.expiry
		FROM messages m JOIN owners o ON o.id = m.owner
		WHERE m.hash = ?`
	qSetExpiryByID = `UPDATE messages SET expiry = ? WHERE id = ?`
	qDeleteByID    = `DELETE FROM messages WHERE id = ?`
	qOutbox        = `SELECT id, timestamp, expiry FROM messages WHERE owner = ? AND namespace = ?`
	qInsertMessage = `
		INSERT INTO messages (owner, namespace, hash, timestamp, expiry, data, sender, proof)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	// The same, doing nothing if the hash is stored already (the caller
	// then looks at what is stored).
	qInsertMessageNew = `
		INSERT INTO messages (owner, namespace, hash, timestamp, expiry, data, sender, proof)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (hash) DO NOTHING`
	qOwnerID     = `SELECT id FROM owners WHERE pubkey = ?`
	qInsertOwner = `INSERT INTO owners (pubkey) VALUES (?) RETURNING id`
	// Quotas (migration 0003). ?1 owner row, ?2 namespace: the owner's
	// signed totals (everything but the public inbox) and the namespace's.
	qSignedUsage = `
		SELECT o.msg_count - o.inbox_count, o.msg_bytes - o.inbox_bytes,
		       coalesce(n.msg_count, 0), coalesce(n.msg_bytes, 0)
		FROM owners o LEFT JOIN namespaces n ON n.owner = o.id AND n.namespace = ?2
		WHERE o.id = ?1`
	// ?1 owner row, ?2 sender: the sender's share of the inbox and the
	// inbox's totals.
	qInboxUsage = `
		SELECT coalesce(s.msg_count, 0), coalesce(s.msg_bytes, 0), o.inbox_count, o.inbox_bytes
		FROM owners o LEFT JOIN inbox_senders s ON s.owner = o.id AND s.sender = ?2
		WHERE o.id = ?1`
	// ?1 owner row, ?2 sender. "namespace % 10 = 0" as in the partial
	// indexes messages_inbox_sender and messages_inbox, so that SQLite
	// uses them.
	qEvictSenderOldest = `
		DELETE FROM messages WHERE id = (
			SELECT id FROM messages
			WHERE owner = ?1 AND sender = ?2 AND namespace % 10 = 0
			ORDER BY timestamp, hash LIMIT 1)
		RETURNING hash`
	qEvictInboxOldest = `
		DELETE FROM messages WHERE id = (
			SELECT id FROM messages
			WHERE owner = ?1 AND namespace % 10 = 0
			ORDER BY timestamp, hash LIMIT 1)
		RETURNING hash`
	qDeleteOwnerExpire = `DELETE FROM messages WHERE owner = ? AND expiry <= ?`

	// One statement per hash on the unique hash index, never a scan of
	// the owner's messages, however many the owner has.
	qDeleteHash = `DELETE FROM messages WHERE hash = ? AND owner = ? RETURNING expiry`
	qExpiryOf   = `
		SELECT m.expiry FROM messages m JOIN owners o ON o.id = m.owner
		WHERE m.hash = ? AND o.pubkey = ? AND m.expiry > ?`

	// ?1 owner pubkey, ?2 whether every namespace, ?3 the namespace.
	qDeleteAll = `
		DELETE FROM messages
		WHERE owner = (SELECT id FROM owners WHERE pubkey = ?1) AND (?2 OR namespace = ?3)
		RETURNING namespace, hash, expiry`
	// ?4 the inclusive timestamp bound.
	qDeleteBefore = `
		DELETE FROM messages
		WHERE owner = (SELECT id FROM owners WHERE pubkey = ?1) AND (?2 OR namespace = ?3)
		  AND timestamp <= ?4
		RETURNING namespace, hash, expiry`

	// ?1 new expiry, ?2 hash, ?3 owner row, ?4 now: only live messages.
	qExpireSet     = `UPDATE messages SET expiry = ?1 WHERE hash = ?2 AND owner = ?3 AND expiry > ?4`
	qExpireExtend  = `UPDATE messages SET expiry = ?1 WHERE hash = ?2 AND owner = ?3 AND expiry > ?4 AND expiry < ?1`
	qExpireShorten = `UPDATE messages SET expiry = ?1 WHERE hash = ?2 AND owner = ?3 AND expiry > ?4 AND expiry > ?1`
	// ?1–?3 as in qDeleteAll, ?4 new expiry, ?5 now.
	qExpireAll = `
		UPDATE messages SET expiry = ?4
		WHERE owner = (SELECT id FROM owners WHERE pubkey = ?1) AND (?2 OR namespace = ?3)
		  AND expiry > ?4 AND expiry > ?5
		RETURNING namespace, hash`

	// Under a full database (writeMakingRoom); the expiry index gives the
	// order, "namespace % 10 = 0" keeps to the public inbox.
	qEvictInboxNearestExpiry = `
		DELETE FROM messages WHERE id IN
			(SELECT id FROM messages WHERE namespace % 10 = 0 ORDER BY expiry LIMIT ?)`
	qSweep = `
		DELETE FROM messages WHERE id IN
			(SELECT id FROM messages WHERE expiry <= ? LIMIT ?)`
	qDeleteEmptyOwners = `DELETE FROM owners WHERE msg_count = 0`

	// One statement, so the cursor lookup and the page come from the same
	// snapshot. The cursor is looked up among all rows, expired or not: an
	// expired message not yet swept still marks a valid position.
	// ?1 owner pubkey, ?2 namespace, ?3 cursor hash, ?4 now, ?5 row limit.
	qRetrieve = `
		SELECT m.hash, m.timestamp, m.expiry, m.data
		FROM messages m
		WHERE m.owner = (SELECT id FROM owners WHERE pubkey = ?1)
		  AND m.namespace = ?2
		  AND m.id > coalesce((SELECT c.id FROM messages c
		                       WHERE c.hash = ?3 AND c.namespace = ?2
		                         AND c.owner = (SELECT id FROM owners WHERE pubkey = ?1)), 0)
		  AND m.expiry > ?4
		ORDER BY m.id
		LIMIT ?5`
	// Tombstones (migration 0002). ?1 owner pubkey, ?2 hash, ?3 expiry. A
	// tombstone already present keeps its seq, so that applying a peer's
	// tombstones never makes them new again here and catch-up between two
	// nodes settles; only its expiry may move later.
	//
	// ?4 is the deletions row of the owner's signed delete (migration
	// 0004), or NULL; a tombstone that has none takes the first one
	// offered.
	qInsertTombstone = `
		INSERT INTO tombstones (owner, hash, expiry, deletion) VALUES (?1, ?2, ?3, ?4)
		ON CONFLICT (hash, owner) DO UPDATE SET
			expiry = max(tombstones.expiry, excluded.expiry),
			deletion = coalesce(tombstones.deletion, excluded.deletion)
		WHERE excluded.expiry > tombstones.expiry
		   OR (tombstones.deletion IS NULL AND excluded.deletion IS NOT NULL)`
	// ?1 digest, ?2 proof: the row id, new or existing (the no-op update
	// makes RETURNING answer for an existing row too).
	qInsertDeletion = `
		INSERT INTO deletions (digest, proof) VALUES (?1, ?2)
		ON CONFLICT (digest) DO UPDATE SET digest = excluded.digest
		RETURNING id`
	qDeletionProof  = `SELECT proof FROM deletions WHERE id = ?`
	qSweepDeletions = `DELETE FROM deletions WHERE NOT EXISTS (SELECT 1 FROM tombstones t WHERE t.deletion = deletions.id)`
	// ?1 hash, ?2 owner pubkey: the message a peer's tombstone names.
	qHeldOfPubkey = `
		SELECT m.id, m.namespace, m.timestamp, m.expiry FROM messages m
		WHERE m.hash = ?1 AND m.owner = (SELECT id FROM owners WHERE pubkey = ?2)`
	// ?1 hash, ?2 owner pubkey, ?3 now.
	qTombstoned      = `SELECT 1 FROM tombstones WHERE hash = ?1 AND owner = ?2 AND expiry > ?3`
	qDeleteTombstone = `DELETE FROM tombstones WHERE hash = ? AND owner = ?`
	qSweepTombstones = `
		DELETE FROM tombstones WHERE seq IN
			(SELECT seq FROM tombstones WHERE expiry <= ? LIMIT ?)`
	qListTombstonesSince = `
		SELECT seq, owner, hash, expiry, deletion FROM tombstones
		WHERE seq > ? AND expiry > ?
		ORDER BY seq
		LIMIT ?`

	qListSince = `
		SELECT m.id, o.pubkey, m.namespace, m.hash, m.timestamp, m.expiry, m.data, m.sender, m.proof
		FROM messages m JOIN owners o ON o.id = m.owner
		WHERE m.id > ? AND m.expiry > ?
		ORDER BY m.id
		LIMIT ?`
)

// qDataVersion tells the writer whether another connection wrote to the
// file since its own last write (hints.go).
const qDataVersion = "PRAGMA data_version"

// The savepoint of each store in a group commit (commit.go), prepared once
// rather than compiled three times per store.
const (
	qSavepoint  = "SAVEPOINT store"
	qRollbackTo = "ROLLBACK TO store"
	qRelease    = "RELEASE store"
)

// writeQueries run on the writer connection, readQueries on the readers.
// (Functions rather than variables: no package state anyone could change.)
func writeQueries() []string {
	return []string{
		qFindHash, qSetExpiryByID, qDeleteByID, qOutbox, qInsertMessage, qInsertMessageNew, qDataVersion,
		qOwnerID, qInsertOwner, qDeleteOwnerExpire,
		qSignedUsage, qInboxUsage, qEvictSenderOldest, qEvictInboxOldest,
		qDeleteHash, qExpiryOf, qDeleteAll, qDeleteBefore,
		qExpireSet, qExpireExtend, qExpireShorten, qExpireAll,
		qSweep, qDeleteEmptyOwners, qEvictInboxNearestExpiry,
		qInsertTombstone, qTombstoned, qDeleteTombstone, qSweepTombstones,
		qInsertDeletion, qSweepDeletions, qHeldOfPubkey,
		qRevocationOf, qPutRevocation, qTrimRevocations,
		qSavepoint, qRollbackTo, qRelease,
	}
}

func readQueries() []string {
	return []string{qRetrieve, qListSince, qExpiryOf, qListTombstonesSince, qDeletionProof,
		qIsRevoked, qListRevocationsSince}
}
