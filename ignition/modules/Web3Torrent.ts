/**
 * The Web3Torrent Ignition module for Ignition's CLI, which loads modules only from ignition/modules. The module
 * itself lives in deploy/Web3Torrent.ts (with its parameters in deploy/parameters/):
 *
 *   npx hardhat ignition deploy ignition/modules/Web3Torrent.ts --network <name> --parameters deploy/parameters/<file>.json
 */
export { default } from "../../deploy/Web3Torrent.ts";
