//! The in-memory broker. INTERFACE STUB.

use super::{Appended, Broker, BrokerError, History, HistoryQuery, MemoryConfig};
use herald_event_types::{ChannelName, Envelope, Subject};

/// The default broker: everything in this process; a new epoch per start.
#[derive(Debug, Clone)]
pub struct MemoryBroker {}

impl MemoryBroker {
    /// A broker with a fresh random epoch.
    pub fn new(config: MemoryConfig) -> Self {
        let _ = config;
        unimplemented!()
    }
}

impl Broker for MemoryBroker {
    async fn append(&self, tenant: &str, channel: &ChannelName, event: &Envelope) -> Result<Appended, BrokerError> {
        let _ = (tenant, channel, event);
        unimplemented!()
    }

    async fn history(
        &self,
        tenant: &str,
        channel: &ChannelName,
        subject: &Subject,
        query: HistoryQuery,
    ) -> Result<History, BrokerError> {
        let _ = (tenant, channel, subject, query);
        unimplemented!()
    }

    async fn is_ready(&self) -> bool {
        true
    }
}
