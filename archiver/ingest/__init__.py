"""Taking files in: sniffing their type, hashing them, and turning them into page images."""
