//! A fake SMTP server on loopback: it speaks enough of RFC 5321 for a real client (greeting,
//! EHLO, MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT), records every mail it accepts,
//! and can be told to fail the next ones: refuse them for a while (4xx) or for good (5xx) at
//! `MAIL FROM`, at `RCPT TO` or after the data's final dot, or drop the connection there without
//! an answer.
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

/// Where in one message's conversation a [`Fault`] strikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// On `MAIL FROM`.
    Mail,
    /// On the (first) `RCPT TO`.
    Rcpt,
    /// On the data's final dot, once the whole message has been read.
    Data,
}

/// How the server fails one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answers the command of `Stage` with this reply code: 4xx (try again later) or 5xx (never).
    Reply(Stage, u16),
    /// Closes the connection on the command of `Stage`, without an answer.
    Drop(Stage),
}

impl Fault {
    fn stage(self) -> Stage {
        match self {
            Fault::Reply(stage, _) | Fault::Drop(stage) => stage,
        }
    }
}

impl From<Refusal> for Fault {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Transient => Fault::Reply(Stage::Mail, 451),
            Refusal::Permanent => Fault::Reply(Stage::Mail, 550),
        }
    }
}

/// The reply line for a refusal with `code`.
fn refusal_line(code: u16) -> String {
    let text = match code {
        450 => "4.2.1 mailbox busy, try again later",
        451 => "4.3.0 try again later",
        452 => "4.3.1 insufficient storage, try again later",
        421 => "4.4.2 closing the connection, try again later",
        550 => "5.1.1 mailbox unavailable",
        552 => "5.3.4 message too big",
        553 => "5.1.3 mailbox name not allowed",
        554 => "5.7.1 message refused",
        400..=499 => "4.0.0 try again later",
        _ => "5.0.0 refused",
    };
    format!("{code} {text}\r\n")
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    faults: VecDeque<Fault>,
    refused: usize,
    attempts: usize,
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

    /// Refuses the next messages at `MAIL FROM`, one refusal each, in order.
    pub fn refuse(&self, refusals: &[Refusal]) {
        self.fail(&refusals.iter().map(|r| Fault::from(*r)).collect::<Vec<_>>());
    }

    /// Fails the next messages, one fault each, in order. A message takes its fault at its
    /// `MAIL FROM`; the fault strikes when the conversation reaches the fault's stage.
    pub fn fail(&self, faults: &[Fault]) {
        self.state.lock().unwrap().faults.extend(faults);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// How many faults have struck: refusals answered and connections dropped.
    pub fn refused(&self) -> usize {
        self.state.lock().unwrap().refused
    }

    /// How many messages were begun (`MAIL FROM` commands received), whatever became of them.
    pub fn attempts(&self) -> usize {
        self.state.lock().unwrap().attempts
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
    // The fault the message under way took at its `MAIL FROM`, until it strikes.
    let mut fault: Option<Fault> = None;
    // Takes the fault if it strikes at `stage` (and counts it).
    let strike = |fault: &mut Option<Fault>, stage: Stage| -> Option<Fault> {
        let struck = fault.take_if(|f| f.stage() == stage)?;
        state.lock().unwrap().refused += 1;
        Some(struck)
    };
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
            {
                let mut state = state.lock().unwrap();
                state.attempts += 1;
                if fault.is_none() {
                    fault = state.faults.pop_front();
                }
            }
            match strike(&mut fault, Stage::Mail) {
                Some(Fault::Drop(_)) => return,
                Some(Fault::Reply(_, code)) => refusal_line(code),
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
                match strike(&mut fault, Stage::Rcpt) {
                    Some(Fault::Drop(_)) => return,
                    Some(Fault::Reply(_, code)) => refusal_line(code),
                    None => {
                        to.push(address(&line["RCPT TO:".len()..]));
                        "250 OK\r\n".into()
                    }
                }
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
                match strike(&mut fault, Stage::Data) {
                    Some(Fault::Drop(_)) => return,
                    Some(Fault::Reply(_, code)) => {
                        // Refused after the dot: the message is not taken.
                        from.clear();
                        to.clear();
                        refusal_line(code)
                    }
                    None => {
                        state.lock().unwrap().received.push(Received {
                            from: std::mem::take(&mut from),
                            to: std::mem::take(&mut to),
                            data,
                        });
                        "250 2.0.0 queued\r\n".into()
                    }
                }
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
