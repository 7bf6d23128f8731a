#!/usr/bin/env node
/** `w3t-indexer` (and the package's `npm start`): the local indexer on the command line (./indexerCommand.ts). */
import { indexerCommand } from "./indexerCommand.ts";

await indexerCommand(process.argv.slice(2));
