//! The real `folio` binary on a free port with its own data directory.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The real `folio` binary, started on a free port with its own data dir.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub data_dir: PathBuf,
    pub log: PathBuf,
}

impl Server {
    pub fn command(data_dir: &Path, port: u16) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
        cmd.env("FOLIO_DATA_DIR", data_dir)
            .env("FOLIO_SERVER__PORT", port.to_string())
            .env("FOLIO_LOG__FORMAT", "json")
            .env_remove("FOLIO_CONFIG")
            .current_dir(data_dir.parent().unwrap_or(data_dir));
        cmd
    }

    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, |_| {})
    }

    pub fn start_with(data_dir: &Path, tweak: impl FnOnce(&mut Command)) -> Server {
        let port = free_port();
        let log = data_dir.with_extension(format!("{port}.log"));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Self::command(data_dir, port);
        cmd.stdout(Stdio::from(log_file.try_clone().expect("clone")))
            .stderr(Stdio::from(log_file));
        tweak(&mut cmd);
        let child = cmd.spawn().expect("folio starts");
        let server = Server {
            child,
            port,
            data_dir: data_dir.to_path_buf(),
            log,
        };
        server.wait_healthy();
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::blocking::Client::new();
        while Instant::now() < deadline {
            if let Ok(res) = client.get(self.url("/health")).send() {
                if res.status().is_success() {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not become healthy; log:\n{}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log once it contains `needle` (lines reach the file from the
    /// server's log thread a moment after they happen), or as it is after
    /// 10 s.
    pub fn log_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.log_text();
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[track_caller]
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit; returns its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
