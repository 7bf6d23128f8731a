#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
/** `leech`: the headless leecher on the command line (`leech --help`; ./downloadCommand.ts). */
import { downloadCommand } from "./downloadCommand.ts";

await downloadCommand(process.argv.slice(2));
