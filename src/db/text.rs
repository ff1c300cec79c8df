//! Enums stored as text: statuses, states, relationships and roles travel as their enum
//! from the database to the JSON and back. A stored value the enum does not know is an
//! error when read, never a silent default.

/// Stores an enum as `TEXT` on both engines. The enum needs `fn as_str(self) -> &'static
/// str` and derives `AsExpression` and `FromSqlRow` with
/// `#[diesel(sql_type = diesel::sql_types::Text)]`. With a name (`stored_as_text!(T,
/// "what")`) and `const ALL: [Self; N]`, this also adds `FromStr`, whose error names the
/// unknown value, and `Display`; without one, the enum brings its own `FromStr`.
#[macro_export]
macro_rules! stored_as_text {
    ($ty:ident, $what:literal) => {
        $crate::stored_as_text!($ty);

        impl ::std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| format!("unknown {} `{s}`", $what))
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    ($ty:ident) => {
        impl<DB> ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB> for $ty
        where
            DB: ::diesel::backend::Backend,
            String: ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> ::diesel::deserialize::Result<Self> {
                let text = <String as ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB>>::from_sql(bytes)?;
                Ok(text.parse::<$ty>()?)
            }
        }

        impl<DB> ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB> for $ty
        where
            DB: ::diesel::backend::Backend,
            str: ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut ::diesel::serialize::Output<'b, '_, DB>) -> ::diesel::serialize::Result {
                <str as ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB>>::to_sql(self.as_str(), out)
            }
        }
    };
}
