//! The revision graph, with Alembic's semantics, and nothing about databases or files.
//!
//! A revision has parents (`revises`: none = a root, two or more = a merge), `depends_on`
//! (revisions that must be applied first without being parents) and branch labels. The database
//! stores the *set of heads* of what is applied; the applied set is the closure of those heads
//! over parents and depends-on. Plans move from one applied set to another one revision at a time.
//!
//! INTERFACE CONTRACT (used by strata-engine and strata-cli; keep these signatures):
//!
//! ```text
//! pub struct Node { pub id: String, pub parents: Vec<String>, pub depends_on: Vec<String>, pub labels: Vec<String> }
//! pub enum GraphError { ... }      // each variant names the revision id(s) involved: `fn ids(&self) -> Vec<&str>`
//! pub enum TargetError { ... }     // Display = a full user-facing sentence with a suggestion
//! pub enum Direction { Up, Down }
//! pub struct Step { pub revision: String, pub direction: Direction,
//!                   pub heads_before: Vec<String>, pub heads_after: Vec<String> }
//! impl Step { pub fn removed_heads(&self) -> Vec<&str>; pub fn added_heads(&self) -> Vec<&str>; }
//! pub struct Graph;
//! impl Graph {
//!   pub fn new(nodes: Vec<Node>) -> Result<Graph, Vec<GraphError>>;
//!   pub fn node(&self, id: &str) -> Option<&Node>;
//!   pub fn len(&self) -> usize;
//!   pub fn topo_order(&self) -> Vec<&str>;          // parents/depends-on first, ties by id
//!   pub fn heads(&self) -> Vec<&str>;               // no children, sorted
//!   pub fn bases(&self) -> Vec<&str>;               // no parents, sorted
//!   pub fn children(&self, id: &str) -> Vec<&str>;  // sorted
//!   pub fn branch_points(&self) -> Vec<&str>;       // more than one child
//!   pub fn resolve(&self, text: &str) -> Result<&str, TargetError>;   // id or unique prefix
//!   pub fn applied_set(&self, heads: &[String]) -> Result<BTreeSet<String>, TargetError>;
//!   pub fn heads_of(&self, applied: &BTreeSet<String>) -> Vec<String>;
//!   pub fn plan_upgrade(&self, current_heads: &[String], target: &str) -> Result<Vec<Step>, TargetError>;
//!   pub fn plan_downgrade(&self, current_heads: &[String], target: &str) -> Result<Vec<Step>, TargetError>;
//!   /// `FROM:TO` for offline SQL; FROM may be `base` or any upgrade/downgrade target.
//!   pub fn plan_range(&self, from: &str, to: &str, direction: Direction) -> Result<Vec<Step>, TargetError>;
//!   pub fn label_target(&self, label: &str) -> Option<&str>;   // revision carrying the label
//! }
//! ```
//!
//! Targets (see [`target`] for the grammar): `head`, `heads`, `base`, an id or unique prefix, a
//! branch label, `<label>@head`, `<label>@base`, `+N`/`-N` from the current state,
//! `<label>@+N`/`<label>@-N` from what is applied on a branch, and `<revision>+N`/`<revision>-N`. Ties are always broken by id order, so every answer is
//! deterministic.

mod error;
mod graph;
mod plan;
pub mod target;
mod validate;

#[cfg(test)]
mod tests;

pub use error::{EdgeKind, GraphError, TargetError};
pub use graph::{Graph, Node};
pub use plan::{Direction, Step};
pub use target::{Anchor, Target};
