//! Feature `sim`: serving the hub on any [`axum::serve::Listener`] (see
//! [`HubBuilder::spawn_on`](crate::HubBuilder::spawn_on)), for deterministic network
//! simulations such as turmoil's. Only the transport differs from production: the router,
//! state and connection code are the same.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

use crate::server::Acceptor;

/// Adapts an [`axum::serve::Listener`] to the hub's accept loop.
pub(crate) struct GenericListener<L>(pub(crate) L);

impl<L> Acceptor for GenericListener<L>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    type Io = L::Io;
    type Ready = Replay<L::Io>;

    async fn accept(&mut self) -> io::Result<(L::Io, SocketAddr)> {
        // axum's listeners retry failed accepts themselves and never return an error.
        Ok(self.0.accept().await)
    }

    async fn first_byte(mut io: L::Io) -> Option<Replay<L::Io>> {
        // A generic stream cannot peek: read the byte and hand it back first.
        let first = io.read_u8().await.ok()?;
        Some(Replay { first: Some(first), io })
    }
}

/// A connection whose first byte was already read: reads yield that byte first.
#[derive(Debug)]
pub(crate) struct Replay<T> {
    first: Option<u8>,
    io: T,
}

impl<T: AsyncRead + Unpin> AsyncRead for Replay<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if let Some(byte) = self.first {
            if buf.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            buf.put_slice(&[byte]);
            self.first = None;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Replay<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn the_first_byte_is_replayed_before_the_rest() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let mut replay = Replay { first: None, io: server };
        replay.first = Some(replay.io.read_u8().await.unwrap());
        let mut line = [0u8; 16];
        replay.read_exact(&mut line).await.unwrap();
        assert_eq!(&line, b"GET / HTTP/1.1\r\n");
        replay.write_all(b"ok").await.unwrap();
        let mut answer = [0u8; 2];
        client.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"ok");
    }
}
