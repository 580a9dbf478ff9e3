//! The health report: database reachability (decides 200 or 503), plus runtime, disk and memory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use sysinfo::{Disks, ProcessRefreshKind, ProcessesToUpdate, System};
use utoipa::ToSchema;

use super::values::Timestamp;
use super::Service;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    /// `unhealthy` when the database check fails (the answer is then a 503).
    #[schema(value_type = String, examples("healthy"))]
    pub status: &'static str,
    pub timestamp: Timestamp,
    pub service: &'static str,
    pub version: &'static str,
    pub checks: Checks,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Checks {
    pub database: DatabaseCheck,
    pub runtime: RuntimeCheck,
    pub disk: DiskCheck,
    pub memory: MemoryCheck,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DatabaseCheck {
    #[schema(value_type = String, examples("healthy"))]
    pub status: &'static str,
    pub message: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuntimeCheck {
    pub status: &'static str,
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiskCheck {
    /// `warning` when free space is low.
    #[schema(value_type = String, examples("healthy"))]
    pub status: &'static str,
    pub free_space_mb: f64,
    pub used_percent: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemoryCheck {
    pub status: &'static str,
    pub memory_usage_mb: f64,
    pub memory_available_mb: f64,
}

impl Health {
    pub fn is_healthy(&self) -> bool {
        self.status == "healthy"
    }
}

const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// Below this much free disk the disk check says "warning" (the service still answers 200).
const LOW_DISK_MB: f64 = 100.0;

impl Service {
    pub async fn health(&self) -> Health {
        let check = self.store().ping();
        let db_ok = tokio::time::timeout(DB_CHECK_TIMEOUT, check)
            .await
            .is_ok_and(|r| r.is_ok());
        let folder = self.0.data_path.clone();
        let (disk, memory) =
            tokio::task::spawn_blocking(move || (disk_check(&folder), memory_check()))
                .await
                .unwrap_or_else(|_| (disk_check(Path::new(".")), memory_check()));
        let database = if db_ok {
            DatabaseCheck {
                status: "healthy",
                message: "Database connection successful",
            }
        } else {
            DatabaseCheck {
                status: "unhealthy",
                message: "Database connection failed",
            }
        };
        Health {
            status: if db_ok { "healthy" } else { "unhealthy" },
            timestamp: Timestamp::now(),
            service: "TODO REST API",
            version: env!("CARGO_PKG_VERSION"),
            checks: Checks {
                database,
                runtime: RuntimeCheck {
                    status: "healthy",
                    name: "rust",
                    version: env!("TODO_API_RUSTC_VERSION"),
                },
                disk,
                memory,
            },
        }
    }
}

/// The folder holding the SQLite file (for disk figures), or the working directory.
pub(super) fn data_path(database_url: &str) -> PathBuf {
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest))
        .unwrap_or(".");
    let parent = Path::new(file)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn disk_check(folder: &Path) -> DiskCheck {
    let folder = folder
        .canonicalize()
        .unwrap_or_else(|_| folder.to_path_buf());
    let disks = Disks::new_with_refreshed_list();
    // The disk whose mount point is the longest prefix of the data folder.
    let disk = disks
        .list()
        .iter()
        .filter(|d| folder.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len());
    let (free, total) = disk.map_or((0, 0), |d| (d.available_space(), d.total_space()));
    let free_mb = round1(free as f64 / 1_048_576.0);
    let used_percent = if total == 0 {
        0.0
    } else {
        round1(100.0 * (total - free) as f64 / total as f64)
    };
    DiskCheck {
        status: if disk.is_some() && free_mb < LOW_DISK_MB {
            "warning"
        } else {
            "healthy"
        },
        free_space_mb: free_mb,
        used_percent,
    }
}

fn memory_check() -> MemoryCheck {
    let mut system = System::new();
    system.refresh_memory();
    let rss = sysinfo::get_current_pid().ok().and_then(|pid| {
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            false,
            ProcessRefreshKind::nothing().with_memory(),
        );
        system.process(pid).map(|p| p.memory())
    });
    MemoryCheck {
        status: "healthy",
        memory_usage_mb: round1(rss.unwrap_or(0) as f64 / 1_048_576.0),
        memory_available_mb: round1(system.available_memory() as f64 / 1_048_576.0),
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_folder_comes_from_the_database_url() {
        assert_eq!(data_path("sqlite://data/todo.db"), PathBuf::from("data"));
        assert_eq!(
            data_path("sqlite:///tmp/x/t.db?mode=rwc"),
            PathBuf::from("/tmp/x")
        );
        assert_eq!(data_path("sqlite://todo.db"), PathBuf::from("."));
    }
}
