"""Prints one JSON line about the host: OS, CPUs, memory, disk under the run root, GPUs, Python packages."""
import json
import os
import platform
import shutil
import subprocess
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
out = {"os": "", "kernel": platform.release(), "cpus": os.cpu_count() or 0, "memoryBytes": 0, "diskFreeBytes": None,
       "python": {"version": platform.python_version(), "packages": {}}, "gpus": [], "driverVersion": None,
       "cudaVersion": None, "hasSbatch": shutil.which("sbatch") is not None}
try:
    with open("/etc/os-release") as f:
        fields = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    out["os"] = fields.get("PRETTY_NAME", "").strip('"')
except OSError:
    out["os"] = platform.platform()
try:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                out["memoryBytes"] = int(line.split()[1]) * 1024
except OSError:
    pass
probe_dir = root
while probe_dir and not os.path.exists(probe_dir):
    probe_dir = os.path.dirname(probe_dir)
try:
    out["diskFreeBytes"] = shutil.disk_usage(probe_dir or ".").free
except OSError:
    pass
try:
    from importlib import metadata
except ImportError:
    metadata = None
import importlib.util
for name in ["torch", "transformers", "peft", "trl", "datasets", "accelerate", "bitsandbytes", "axolotl", "torchtune"]:
    version = None
    if importlib.util.find_spec(name) is not None:
        version = "unknown"
        if metadata is not None:
            try:
                version = metadata.version(name)
            except Exception:
                pass
    out["python"]["packages"][name] = version
if shutil.which("nvidia-smi"):
    try:
        text = subprocess.run(["nvidia-smi", "--query-gpu=index,name,memory.used,memory.total,utilization.gpu,driver_version",
                               "--format=csv,noheader,nounits"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              universal_newlines=True, timeout=10).stdout
        for line in text.strip().splitlines():
            p = [x.strip() for x in line.split(",")]
            out["gpus"].append({"index": int(p[0]), "name": p[1], "memoryUsedMiB": float(p[2]), "memoryTotalMiB": float(p[3]),
                                "utilization": float(p[4]) if p[4].replace(".", "").isdigit() else 0.0})
            out["driverVersion"] = p[5]
        header = subprocess.run(["nvidia-smi"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True, timeout=10).stdout
        if "CUDA Version:" in header:
            out["cudaVersion"] = header.split("CUDA Version:")[1].split()[0]
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        pass
print(json.dumps(out))
