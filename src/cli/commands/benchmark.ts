// `latentlab benchmark`: measured comparisons of latentlab's methods beside the classical ones, on folders or
// files of the user's data (anomaly: ADBench's protocol on .npz files).
import { Command } from 'commander';
import { benchmarkAnomalyCommand } from './benchmark-anomaly.js';

export function benchmarkCommand(): Command {
  const command = new Command('benchmark').description(
    "latentlab's methods beside classical ones on your data, in one run: anomaly",
  );
  for (const sub of [benchmarkAnomalyCommand()]) {
    sub.exitOverride();
    command.addCommand(sub);
  }
  return command;
}
