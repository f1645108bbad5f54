// Hostile workers: writes to the shared ring headers, forged control messages (scenarios follow).
