//! Generated code for every attend protobuf package, one module per package
//! (`attend::contact::v1`, `attend::events::v1`, ...). Nothing here is written
//! by hand except this module tree; edit the `.proto` files under `/proto`.
//!
//! Compatibility rule for every message: adding a field is compatible;
//! renaming a field or reusing a field number is not.

/// The encoded `FileDescriptorSet` of every attend proto, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/attend_descriptor.bin"));

pub mod attend {
    pub mod events {
        pub mod v1 {
            tonic::include_proto!("attend.events.v1");
        }
    }
    pub mod identity {
        pub mod v1 {
            tonic::include_proto!("attend.identity.v1");
        }
    }
    pub mod ingest {
        pub mod v1 {
            tonic::include_proto!("attend.ingest.v1");
        }
    }
    pub mod contact {
        pub mod v1 {
            tonic::include_proto!("attend.contact.v1");
        }
    }
    pub mod booking {
        pub mod v1 {
            tonic::include_proto!("attend.booking.v1");
        }
    }
    pub mod messaging {
        pub mod v1 {
            tonic::include_proto!("attend.messaging.v1");
        }
    }
    pub mod automation {
        pub mod v1 {
            tonic::include_proto!("attend.automation.v1");
        }
    }
    pub mod reporting {
        pub mod v1 {
            tonic::include_proto!("attend.reporting.v1");
        }
    }
    pub mod care {
        pub mod v1 {
            tonic::include_proto!("attend.care.v1");
        }
    }
    pub mod ops {
        pub mod v1 {
            tonic::include_proto!("attend.ops.v1");
        }
    }
}

pub use attend::*;
