//! The schema, written by hand in types both engines share.

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        private_key -> Text,
        public_key -> Text,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    service_clients (id) {
        id -> Text,
        org_id -> Text,
        client_id -> Text,
        name -> Text,
        secret_hash -> Text,
        scopes -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    people (id) {
        id -> Text,
        org_id -> Text,
        external_id -> Nullable<Text>,
        email -> Text,
        display_name -> Text,
        department -> Nullable<Text>,
        title -> Nullable<Text>,
        manager_id -> Nullable<Text>,
        role -> Text,
        active -> Bool,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        org_id -> Text,
        actor -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Nullable<Text>,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(service_clients -> organizations (org_id));
diesel::joinable!(people -> organizations (org_id));
diesel::joinable!(audit_events -> organizations (org_id));

diesel::allow_tables_to_appear_in_same_query!(organizations, signing_keys, service_clients, people, audit_events);
