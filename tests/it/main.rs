//! Black-box tests: the real service over real HTTP, a fresh database per test.
//!
//! One test binary (rather than one per file) links once, which keeps `cargo test` quick.

mod fixtures;
mod follow_ups;
mod forms;
mod harness;
mod hostile;
mod imports;
mod journey;
mod keeping;
mod language;
mod layers;
mod operations;
mod pairing_figures;
mod pairings;
mod paperwork;
mod portal;
mod privacy;

mod activities;
mod auth;
mod browser;
mod children;
mod clerks;
mod cluster;
mod export;
mod policy;
mod regions;
mod schema;
mod stations;
mod support;
mod surveys;
mod volunteers;
mod web;
mod wishes;

mod dashboard;
mod recruitment;
mod reports;
mod roster;
mod seed;
