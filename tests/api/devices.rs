use crate::support::*;
use serde_json::json;

const REGISTER: &str = "mutation($input: RegisterDeviceInput!) { registerDevice(input: $input) { id platform appVersion current } }";
const UNREGISTER: &str = "mutation($t: String!) { unregisterDevice(token: $t) }";

#[tokio::test]
async fn devices_are_registered_listed_moved_and_removed() {
    let app = TestApp::spawn().await;
    let ana = app.register("Warm Badger").await;
    let bo = app.register("Cool Badger").await;

    let device = app
        .gql(Some(&ana.access), REGISTER, json!({"input": {"token": "fcm-token-1", "platform": "ANDROID", "appVersion": "1.2.0"}}))
        .await;
    assert_eq!(
        device["data"]["registerDevice"]["platform"], "ANDROID",
        "{device}"
    );
    assert_eq!(device["data"]["registerDevice"]["current"], true);

    // Registering the same token again updates it rather than duplicating it.
    app.gql(
        Some(&ana.access),
        REGISTER,
        json!({"input": {"token": "fcm-token-1", "platform": "ANDROID", "appVersion": "1.3.0"}}),
    )
    .await;
    let mine = app.me(Some(&ana.access)).await;
    assert_eq!(
        mine["data"]["me"]["devices"],
        json!([{"platform": "ANDROID", "appVersion": "1.3.0", "current": true}])
    );

    // The same install signed in as someone else: the token moves to them.
    app.gql(
        Some(&bo.access),
        REGISTER,
        json!({"input": {"token": "fcm-token-1", "platform": "IOS"}}),
    )
    .await;
    assert_eq!(
        app.me(Some(&ana.access)).await["data"]["me"]["devices"],
        json!([])
    );
    assert_eq!(
        app.me(Some(&bo.access)).await["data"]["me"]["devices"],
        json!([{"platform": "IOS", "appVersion": null, "current": true}])
    );

    // Someone else's token is not mine to remove.
    assert_eq!(
        app.gql(Some(&ana.access), UNREGISTER, json!({"t": "fcm-token-1"}))
            .await["data"]["unregisterDevice"],
        false
    );
    assert_eq!(
        app.gql(Some(&bo.access), UNREGISTER, json!({"t": "fcm-token-1"}))
            .await["data"]["unregisterDevice"],
        true
    );
    assert_eq!(
        app.me(Some(&bo.access)).await["data"]["me"]["devices"],
        json!([])
    );
}

#[tokio::test]
async fn logout_removes_the_sessions_device() {
    let app = TestApp::spawn().await;
    let phone = app.register("Tidy Stoat").await;
    let tablet =
        Session::from_payload(&app.login(&phone.email, PASSWORD).await["data"]["login"]).unwrap();
    app.gql(
        Some(&phone.access),
        REGISTER,
        json!({"input": {"token": "phone-token", "platform": "IOS"}}),
    )
    .await;
    app.gql(
        Some(&tablet.access),
        REGISTER,
        json!({"input": {"token": "tablet-token", "platform": "ANDROID"}}),
    )
    .await;
    let both = app.me(Some(&tablet.access)).await;
    assert_eq!(both["data"]["me"]["devices"].as_array().unwrap().len(), 2);

    app.gql(Some(&phone.access), "mutation { logout }", json!({}))
        .await;
    assert_eq!(
        app.me(Some(&tablet.access)).await["data"]["me"]["devices"],
        json!([{"platform": "ANDROID", "appVersion": null, "current": true}])
    );
}

#[tokio::test]
async fn device_input_is_checked() {
    let app = TestApp::spawn().await;
    let ana = app.register("Exact Vole").await;
    for (token, version) in [
        ("", None),
        ("has space", None),
        ("ok-token", Some("v".repeat(40))),
    ] {
        let body = app
            .gql(
                Some(&ana.access),
                REGISTER,
                json!({"input": {"token": token, "platform": "WEB", "appVersion": version}}),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    let bad_enum = app
        .gql(
            Some(&ana.access),
            REGISTER,
            json!({"input": {"token": "t", "platform": "SYMBIAN"}}),
        )
        .await;
    assert_eq!(error_code(&bad_enum), "BAD_USER_INPUT");
    let signed_out = app
        .gql(
            None,
            REGISTER,
            json!({"input": {"token": "t", "platform": "WEB"}}),
        )
        .await;
    assert_eq!(error_code(&signed_out), "UNAUTHENTICATED");
    assert_eq!(
        app.me(Some(&ana.access)).await["data"]["me"]["devices"],
        json!([])
    );
}
