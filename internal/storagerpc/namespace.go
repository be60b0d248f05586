package storagerpc

import (
	"strconv"
	"time"
)

// Namespace is a storage namespace of an account: separate message boxes
// under one pubkey, numbered -32768 to 32767.
type Namespace int16

// Namespaces Session assigns. Namespaces -30 to 30 are reserved for Session.
const (
	// NamespaceDefault holds one-to-one messages (and is what an omitted
	// namespace means).
	NamespaceDefault Namespace = 0
	// NamespaceUserProfile holds the UserProfile config.
	NamespaceUserProfile Namespace = 2
	// NamespaceContacts holds the Contacts config.
	NamespaceContacts Namespace = 3
	// NamespaceConvoInfoVolatile holds the ConvoInfoVolatile config.
	NamespaceConvoInfoVolatile Namespace = 4
	// NamespaceUserGroups holds the UserGroups config.
	NamespaceUserGroups Namespace = 5
	// NamespaceGroupMessages holds a group's (03 account's) messages.
	NamespaceGroupMessages Namespace = 11
	// NamespaceGroupKeys holds a group's keys config.
	NamespaceGroupKeys Namespace = 12
	// NamespaceGroupInfo holds a group's info config.
	NamespaceGroupInfo Namespace = 13
	// NamespaceGroupMembers holds a group's members config.
	NamespaceGroupMembers Namespace = 14
	// NamespaceLegacyClosedGroup held legacy closed-group messages
	// (deprecated); it allows unauthenticated retrieval.
	NamespaceLegacyClosedGroup Namespace = -10
)

// String returns the namespace in decimal.
func (n Namespace) String() string { return strconv.Itoa(int(n)) }

// IsPublicInbox reports whether anyone may store into n without the owner's
// signature: every namespace divisible by 10.
func (n Namespace) IsPublicInbox() bool { return n%10 == 0 }

// IsPublicOutbox reports whether n is a public outbox: a negative namespace
// -(20k+1) that holds one message (storing replaces it), which anyone may
// retrieve but only the owner, or a subaccount that may write and delete,
// may store into.
func (n Namespace) IsPublicOutbox() bool { return n < 0 && -int(n)%20 == 1 }

// RetrieveNeedsAuth reports whether retrieving from n needs a signature:
// everywhere except the legacy closed-group namespace and public outboxes.
func (n Namespace) RetrieveNeedsAuth() bool {
	return n != NamespaceLegacyClosedGroup && !n.IsPublicOutbox()
}

// StoreNeedsAuth reports whether storing into n needs a signature (every
// namespace that is not a public inbox).
func (n Namespace) StoreNeedsAuth() bool { return !n.IsPublicInbox() }

// IsGroupAdminOnly reports whether n holds, in a group's (03) swarm, what
// only the group's admins write: its keys, info and members configs
// (12, 13, 14), which members verify against the group's key anyway.
func (n Namespace) IsGroupAdminOnly() bool {
	return n == NamespaceGroupKeys || n == NamespaceGroupInfo || n == NamespaceGroupMembers
}

// IsUnrevocable reports whether a revoked subaccount may still retrieve from
// n: negative namespaces -(100k+11), used to tell removed group members they
// were removed.
func (n Namespace) IsUnrevocable() bool { return n < 0 && -int(n)%100 == 11 }

// MaxTTL is the longest lifetime a message stored in n may have.
func (n Namespace) MaxTTL() time.Duration {
	if n.IsPublicInbox() {
		return TTLMaximum
	}
	return TTLMaximumPrivate
}

// signed is how n appears in a signed message and in the message hash: empty
// for the default namespace, decimal otherwise.
func (n Namespace) signed() string {
	if n == NamespaceDefault {
		return ""
	}
	return n.String()
}

// NamespaceOrAll is the namespace parameter of delete_all, delete_before and
// expire_all: one namespace, or every namespace of the account.
type NamespaceOrAll struct {
	// All selects every namespace; Namespace is then ignored.
	All bool
	// Namespace is the one namespace when All is false.
	Namespace Namespace
}

// AllNamespaces selects every namespace of an account.
func AllNamespaces() NamespaceOrAll { return NamespaceOrAll{All: true} }

// OneNamespace selects the single namespace n.
func OneNamespace(n Namespace) NamespaceOrAll { return NamespaceOrAll{Namespace: n} }

// signed is how the selector appears in a signed message: "all", empty for
// the default namespace, or the decimal namespace.
func (s NamespaceOrAll) signed() string {
	if s.All {
		return "all"
	}
	return s.Namespace.signed()
}

// String returns "all" or the decimal namespace.
func (s NamespaceOrAll) String() string {
	if s.All {
		return "all"
	}
	return s.Namespace.String()
}
