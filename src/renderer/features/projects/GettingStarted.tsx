// Help for a first session, in the app (it works offline): the README's quick start and the first steps.
import { Modal } from '../../components/Modal';

export function GettingStarted({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Getting started" onClose={onClose} wide>
      <div className="getting-started">
        <ol>
          <li>
            <strong>Projects.</strong> A project is a base model and the runs made from it. Its objective says what “best” means (e.g. minimize <code>eval_loss</code>).
          </li>
          <li>
            <strong>Hosts.</strong> Runs train on this machine or on SSH workstations and SLURM clusters: add one on the Hosts page (or import <code>~/.ssh/config</code>), check and trust its key,
            then probe it to see its GPUs and Python packages.
          </li>
          <li>
            <strong>Runs.</strong> Launch a recipe (<code>demo-lora-stdlib</code> needs only Python) from a project or the Runs page; its log and charts follow live, and markers point at NaN losses,
            spikes and tracebacks.
          </li>
          <li>
            <strong>Compare.</strong> Select runs in the runs table and compare their curves, configs and parameters.
          </li>
          <li>
            <strong>Review.</strong> Test a finished run against production, send the report for a signed approval, and push the approved model to a registry.
          </li>
        </ol>
        <h3>Quick start (from the README)</h3>
        <pre className="mono">
          {`npm install && npm start      # builds, then serves the app and prints its URL
npx tunebench demo seed       # the demo project, from the command line
npx tunebench --help          # every command the app's engine answers`}
        </pre>
        <p className="muted">
          The data directory is your per-user app data directory unless <code>TUNEBENCH_HOME</code> or <code>--data-dir</code> says otherwise. The README beside the app has the details.
        </p>
      </div>
      <div className="dialog-actions">
        <button type="button" className="primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Modal>
  );
}
