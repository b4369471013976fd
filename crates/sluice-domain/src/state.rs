//! The enums of the wire contract (spec §2–§3), each with its exact spelling. A flow has three
//! independent state axes: execution (what the payer has done), settlement (whether the
//! merchant has been paid) and risk (what screening said).

/// Declares an enum whose values travel as fixed lowercase strings.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Every accepted spelling, for error messages.
            pub fn spellings() -> String {
                [$($text),+].join(", ")
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($text => Ok($name::$variant),)+ _ => Err(()) }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(|_| {
                    ::serde::de::Error::custom(format!(
                        "unknown {} {s:?} (one of: {})",
                        stringify!($name),
                        $name::spellings()
                    ))
                })
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// What the flow is for; the `{mode}` path segment of S1.
    FlowMode { Payment => "payment", Deposit => "deposit", Withdraw => "withdraw" }
);

wire_enum!(
    /// Where the payer's funds come from.
    SourceType { Wallet => "wallet", Exchange => "exchange", DepositAddress => "deposit_address" }
);

wire_enum!(
    ExecutionState {
        Initiated => "initiated",
        SourceAttached => "source_attached",
        Quoted => "quoted",
        Signing => "signing",
        Broadcasted => "broadcasted",
        SourceDetected => "source_detected",
        SourceConfirmed => "source_confirmed",
        Cancelled => "cancelled",
        Expired => "expired",
        Failed => "failed",
    }
);

wire_enum!(
    SettlementState {
        None => "none",
        Routing => "routing",
        Bridging => "bridging",
        Swapping => "swapping",
        Settling => "settling",
        Completed => "completed",
        Failed => "failed",
    }
);

wire_enum!(
    RiskState {
        Unknown => "unknown",
        Pending => "pending",
        Cleared => "cleared",
        Blocked => "blocked",
        Review => "review",
    }
);

wire_enum!(
    /// How a flow with several settlement options picks one.
    SettlementStrategy { Cheapest => "cheapest", Fastest => "fastest", PreferredOrder => "preferred_order" }
);

impl ExecutionState {
    /// `cancelled`, `expired` and `failed` never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Cancelled | Self::Expired | Self::Failed)
    }

    /// The states in which a flow still expires at `expiresAt`: nothing has left the
    /// payer's wallet yet. After broadcast or detection a flow never expires.
    pub fn expires(self) -> bool {
        matches!(
            self,
            Self::Initiated | Self::SourceAttached | Self::Quoted | Self::Signing
        )
    }

    /// States from which a source may be (re-)attached (spec §3).
    pub fn accepts_attach(self) -> bool {
        self.expires()
    }

    /// States from which the payer may cancel (spec §3, P8).
    pub fn accepts_payer_cancel(self) -> bool {
        matches!(self, Self::SourceAttached | Self::Quoted | Self::Signing)
    }

    /// The states a flow may be listed or stored in that expire, as SQL-ready literals.
    pub const EXPIRING: [ExecutionState; 4] = [
        Self::Initiated,
        Self::SourceAttached,
        Self::Quoted,
        Self::Signing,
    ];
}

impl SettlementState {
    /// Settlement has reached an end: the merchant was paid, or will not be.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for s in ExecutionState::ALL {
            assert_eq!(s.as_str().parse::<ExecutionState>(), Ok(*s));
        }
        for s in SettlementState::ALL {
            assert_eq!(s.as_str().parse::<SettlementState>(), Ok(*s));
        }
        for s in RiskState::ALL {
            assert_eq!(s.as_str().parse::<RiskState>(), Ok(*s));
        }
        assert!("Initiated".parse::<ExecutionState>().is_err());
    }

    #[test]
    fn final_states_neither_expire_nor_accept_actions() {
        for s in ExecutionState::ALL {
            if s.is_final() {
                assert!(!s.expires() && !s.accepts_attach() && !s.accepts_payer_cancel());
            }
        }
    }
}
