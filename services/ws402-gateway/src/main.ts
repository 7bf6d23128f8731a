#!/usr/bin/env node
/** `ws402-gateway`: the WS402 gateway on the command line (`ws402-gateway --help`; ./gatewayCommand.ts). */
import { gatewayCommand } from "./gatewayCommand.ts";

await gatewayCommand(process.argv.slice(2));
