"""Study scripts: run_study (end-to-end runner), train_study (training), sweep (signature/cache sweeps)."""
