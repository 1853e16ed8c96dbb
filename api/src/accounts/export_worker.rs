//! The export worker: builds asked-for data exports (`export_jobs::build_due`) when woken by
//! `ExportRequested`, and sweeps expired ones, at least every minute.
use super::export_jobs;
use crate::broker::Topic;
use crate::broker::WorkerHandles;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const SWEEP: Duration = Duration::from_secs(60);

pub fn spawn(app: WorkerHandles, stop: CancellationToken) {
    let worker_id = uuid::Uuid::now_v7().to_string();
    tokio::spawn(async move {
        let mut wake = app.broker.subscribe(&Topic::Exports);
        loop {
            match export_jobs::build_due(&app.db, &app.vault, &worker_id).await {
                Ok(built) if built > 0 => continue,
                Ok(_) => {}
                Err(err) => err.log_internal(),
            }
            tokio::select! {
                _ = wake.recv() => {},
                () = tokio::time::sleep(SWEEP) => {},
                () = stop.cancelled() => return,
            }
        }
    });
}
