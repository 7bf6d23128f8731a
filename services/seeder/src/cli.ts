#!/usr/bin/env -S node --disable-warning=ExperimentalWarning
/** `seed`: the headless seeder on the command line (`seed --help`; ./seedCommand.ts). */
import { seedCommand } from "./seedCommand.ts";

await seedCommand(process.argv.slice(2));
