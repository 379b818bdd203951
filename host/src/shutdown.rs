//! A cloneable shutdown signal for the server and its background tasks.
/// Resolves when the host is shutting down.
#[derive(Clone, Debug)]
pub struct Shutdown(tokio::sync::watch::Receiver<bool>);

/// Trips the [`Shutdown`] signal.
#[derive(Debug)]
pub struct Trigger(tokio::sync::watch::Sender<bool>);

/// A new signal and its trigger.
pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    /// Signal shutdown.
    pub fn fire(&self) {
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    /// Wait for shutdown.
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        while !*rx.borrow() {
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}
