#!/usr/bin/env node
/** `w3t-tracker`: the WebTorrent tracker on the command line (`w3t-tracker --help`; ./trackerCommand.ts). */
import { trackerCommand } from "./trackerCommand.ts";

await trackerCommand(process.argv.slice(2));
