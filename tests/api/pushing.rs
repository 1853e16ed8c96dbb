//! A server that pushes to the fake FCM (kept apart from `support`, which `tests/faults` shares
//! without the fake).
use crate::support::TestApp;
use api::Settings;

impl TestApp {
    /// A server whose pushes go to `fcm`, a fake FCM on loopback, with its service-account
    /// credentials in the returned folder (keep it while the server runs).
    pub async fn pushing_to(
        fcm: &crate::fake_fcm::FakeFcm,
        adjust: impl FnOnce(&mut Settings),
    ) -> (TestApp, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let credentials = fcm.write_credentials(dir.path());
        let endpoint = fcm.endpoint();
        let app = TestApp::spawn_with(move |s| {
            s.fcm_credentials = Some(credentials);
            s.fcm_endpoint = endpoint;
            adjust(s);
        })
        .await;
        (app, dir)
    }
}
