// Lifecycle faults: workers that cannot start, close() in mid-stream, throwing handlers (scenarios follow).
