// Package bot is passbot's platform-neutral core: the events adapters hand in,
// the replies they render, the conversation state kept in a Store, and the
// Engine that runs a Flow over them. It imports no chat SDK, no Redis client
// and no flow: adapters and flows depend on it, never the other way round.
package bot
