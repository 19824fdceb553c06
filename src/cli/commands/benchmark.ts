// `latentlab benchmark`: measured comparisons of latentlab's methods beside the classical ones, on folders or
// files of the user's data (anomaly: ADBench's protocol on .npz files; impute: cells hidden at random, filled by each method).
import { Command } from 'commander';
import { benchmarkAnomalyCommand } from './benchmark-anomaly.js';
import { benchmarkImputeCommand } from './benchmark-impute.js';

export function benchmarkCommand(): Command {
  const command = new Command('benchmark').description(
    "latentlab's methods beside classical ones on your data, in one run: anomaly detectors (ADBench's protocol), imputation",
  );
  for (const sub of [benchmarkAnomalyCommand(), benchmarkImputeCommand()]) {
    sub.exitOverride();
    command.addCommand(sub);
  }
  return command;
}
