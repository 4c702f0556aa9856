/**
 * Transactions with TIDs on top of checkpoints: begin/commit/fail, the
 * history, rollback to a TID or a date (undoing one transaction: src/undo).
 * @module
 */
export { type InterruptedTransaction, Transactions } from './transactions.js';
export { type HistoryEntry } from './history.js';
export { touches, touchesNames } from './important.js';
export { type TransactionOwner } from './owner.js';
