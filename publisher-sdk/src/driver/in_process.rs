//! The in-process transport: publishes straight into an embedded hub
//! ([`herald_hub::HubHandle`]) as a trusted service of one tenant.

use herald_event_types::ErrorCode;
use herald_hub::HubHandle;

use super::batch::{BatchError, BatchTransport, ItemOutcome};
use crate::event::Published;
use crate::outbox::Entry;

pub(crate) struct InProcessTransport {
    hub: HubHandle,
    org: String,
}

impl InProcessTransport {
    pub(crate) fn new(hub: HubHandle, org: &str) -> Self {
        Self { hub, org: org.to_owned() }
    }
}

impl BatchTransport for InProcessTransport {
    fn needs_token(&self) -> bool {
        false
    }

    fn target(&self) -> &str {
        "in-process hub"
    }

    async fn send(&mut self, _token: Option<&str>, batch: &mut [Entry]) -> Result<Vec<ItemOutcome>, BatchError> {
        let mut outcomes = Vec::with_capacity(batch.len());
        for entry in batch.iter() {
            let answer = self.hub.publish(&self.org, entry.event.channel.clone(), &entry.event.envelope).await;
            match answer {
                Ok(outcome) => outcomes.push(ItemOutcome::Published(Published {
                    channel: outcome.channel,
                    offset: outcome.offset,
                    duplicate: outcome.duplicate,
                })),
                // Keep order: nothing after an event that must be retried is sent now.
                Err(rejected) if rejected.code == ErrorCode::Unavailable => break,
                Err(rejected) => {
                    outcomes.push(ItemOutcome::Rejected { code: rejected.code, message: rejected.message })
                }
            }
        }
        Ok(outcomes)
    }
}
