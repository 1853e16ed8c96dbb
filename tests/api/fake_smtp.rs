//! A fake SMTP server on loopback: it speaks enough of RFC 5321 for a real client (greeting,
//! EHLO, MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT), records every mail it accepts,
//! and can be told to refuse the next ones for a while (451) or for good (550).
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent: headers, a blank line, the body.
    pub data: String,
}

impl Received {
    pub fn subject(&self) -> &str {
        self.data
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or_default()
    }

    /// The six-digit code in the subject, if there is one.
    pub fn code(&self) -> Option<String> {
        self.subject()
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .map(str::to_owned)
    }
}

/// How the server answers `MAIL FROM` for the next messages.
#[derive(Clone, Copy, Debug)]
pub enum Refusal {
    /// 451: try again later.
    Transient,
    /// 550: never.
    Permanent,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    refusals: VecDeque<Refusal>,
    refused: usize,
}

pub struct FakeSmtp {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl FakeSmtp {
    pub async fn start() -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    /// Serves on a listener bound beforehand (to start on an address the app already uses).
    pub fn on(listener: TcpListener) -> Self {
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(converse(stream, shared.clone()));
            }
        });
        FakeSmtp { addr, state }
    }

    /// `HEARTH_SMTP_URL` for this server: plain SMTP on loopback.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Refuses the next messages, one refusal each, in order.
    pub fn refuse(&self, refusals: &[Refusal]) {
        self.state.lock().unwrap().refusals.extend(refusals);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn refused(&self) -> usize {
        self.state.lock().unwrap().refused
    }

    /// Mails to `to`, once at least `n` have come (panics after `wait`).
    pub async fn wait_for(&self, to: &str, n: usize, wait: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let mails: Vec<Received> = self
                .received()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == to))
                .collect();
            if mails.len() >= n {
                return mails;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} mail(s) to {to} after {wait:?}, wanted {n}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The code in the `n`th mail (from 1) to `to`, waiting for it.
    pub async fn code(&self, to: &str, n: usize) -> String {
        let mails = self.wait_for(to, n, Duration::from_secs(10)).await;
        mails[n - 1]
            .code()
            .unwrap_or_else(|| panic!("no code in {:?}", mails[n - 1].subject()))
    }
}

async fn converse(stream: TcpStream, state: Arc<Mutex<State>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    if write
        .write_all(b"220 fake-smtp ESMTP ready\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut from = String::new();
    let mut to = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-fake-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 OK\r\n".into()
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            let refusal = {
                let mut state = state.lock().unwrap();
                let refusal = state.refusals.pop_front();
                if refusal.is_some() {
                    state.refused += 1;
                }
                refusal
            };
            match refusal {
                Some(Refusal::Transient) => "451 4.3.0 try again later\r\n".into(),
                Some(Refusal::Permanent) => "550 5.1.1 mailbox unavailable\r\n".into(),
                None => {
                    from = address(&line["MAIL FROM:".len()..]);
                    to.clear();
                    "250 OK\r\n".into()
                }
            }
        } else if upper.starts_with("RCPT TO:") {
            if from.is_empty() {
                "503 5.5.1 MAIL first\r\n".into()
            } else {
                to.push(address(&line["RCPT TO:".len()..]));
                "250 OK\r\n".into()
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                "503 5.5.1 RCPT first\r\n".into()
            } else {
                if write
                    .write_all(b"354 end with <CRLF>.<CRLF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let mut data = String::new();
                loop {
                    match lines.next_line().await {
                        Ok(Some(l)) if l == "." => break,
                        Ok(Some(l)) => {
                            data.push_str(l.strip_prefix('.').unwrap_or(&l));
                            data.push('\n');
                        }
                        _ => return,
                    }
                }
                state.lock().unwrap().received.push(Received {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 2.0.0 queued\r\n".into()
            }
        } else if upper.starts_with("QUIT") {
            let _ = write.write_all(b"221 2.0.0 bye\r\n").await;
            return;
        } else {
            "502 5.5.2 not implemented\r\n".into()
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// `<a@b.c>` (perhaps with parameters after it) as `a@b.c`.
fn address(rest: &str) -> String {
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('<')
        .and_then(|r| r.split_once('>'))
        .map(|(a, _)| a)
        .unwrap_or(rest);
    inner.to_owned()
}
