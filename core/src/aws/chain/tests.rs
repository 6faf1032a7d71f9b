use super::*;

#[test]
fn the_sdk_rules_give_regional_sts_endpoints() {
    let network = Network::default();
    let none = |_: &str| None;
    assert_eq!(
        endpoint("eu-west-1", &network, none).unwrap(),
        "https://sts.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        endpoint("us-east-1", &network, none).unwrap(),
        "https://sts.us-east-1.amazonaws.com"
    );
    assert_eq!(
        endpoint("cn-north-1", &network, none).unwrap(),
        "https://sts.cn-north-1.amazonaws.com.cn"
    );
    let fips = Network {
        endpoints: crate::domain::endpoints::EndpointOptions {
            fips: true,
            dualstack: false,
        },
        ..Network::default()
    };
    assert_eq!(
        endpoint("us-west-2", &fips, none).unwrap(),
        "https://sts-fips.us-west-2.amazonaws.com"
    );
    let overridden =
        |k: &str| (k == "AWS_ENDPOINT_URL_STS").then(|| "http://127.0.0.1:9/".to_owned());
    assert_eq!(
        endpoint("eu-west-1", &network, overridden).unwrap(),
        "http://127.0.0.1:9"
    );
}
