"""Run every benchmark and print figures and ratios (not timed tests: nothing here fails a build)."""

import bench_engine
import bench_http
import bench_import
import bench_map
import bench_matching

if __name__ == "__main__":
    bench_import.main()
    bench_engine.main()
    bench_matching.main()
    bench_http.main()
    bench_map.main()
