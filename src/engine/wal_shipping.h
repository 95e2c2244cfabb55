// WalShipping: what the checkpointer asks of a WAL replicator (src/backup/replicator.h), so that
// a checkpoint never lets SQLite restart the WAL over frames not yet shipped.
//
// The replicator holds a read transaction no newer than the frames it has shipped: SQLite's
// checkpoints then copy back at most up to it and never restart the WAL (any open read mark
// stops a restart; a reader of the database file alone stops every backfill). The checkpointer
// lets it ship and move that read transaction forward before its bulk passes, and — under the
// cross-process writer lock, when no Sluice writer can append — asks it to ship the rest and let
// go, so the tail can complete and the next write restarts the WAL from its beginning.
//
// Thread-safety: called on the checkpointer thread only; implementations synchronise with their
// own threads.
#pragma once

namespace sluice::engine {

class WalShipping {
 public:
  virtual ~WalShipping() = default;
  // Before the bulk passes: ship what is committed, move the read transaction forward. Never
  // blocks for long (skips when the replicator is busy).
  virtual void before_checkpoint() noexcept = 0;
  // REQUIRES: the writer lock is held. Ships every committed frame and ends the read
  // transaction. False when it could not (busy, or the replica failed): the read transaction
  // stays, and the tail copies only what was shipped.
  virtual bool begin_tail() noexcept = 0;
  // REQUIRES: the writer lock is still held; after begin_tail(). Takes a new read transaction.
  virtual void end_tail() noexcept = 0;
};

}  // namespace sluice::engine
