/**
 * Undoing one past transaction while later ones stay: the old packages
 * rebuilt from the checkpoint before it, installed by the package manager
 * as a transaction of its own.
 * @module
 */
export { planUndo, carryOutUndo, type UndoPlan, type UndoChange, type UndoOptions, type LaterTransaction } from './undo.js';
export { type EditedConffile, type PackageRef, type Unmet } from './deb.js';
