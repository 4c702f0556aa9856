{
  "targets": [
    {
      "target_name": "zcp",
      "sources": [
        "native/addon.cc",
        "native/zfs/lzc_library.cc",
        "native/zfs/nvlist_js.cc",
        "native/zfs/executor.cc",
        "native/zfs/zfs_ops.cc",
        "native/zfs/libzfs_acl.cc",
        "native/sys/file_lock.cc",
        "native/pkgdb_glue.cc",
        "native/pkgdb/deb822.cc",
        "native/pkgdb/dpkg_status.cc",
        "native/pkgdb/rpm_header.cc",
        "native/pkgdb/sqlite_reader.cc",
        "native/pkgdb/ndb_reader.cc",
        "native/pkgdb/bdb_reader.cc",
        "native/pkgdb/versions.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NAPI_CPP_EXCEPTIONS"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra"],
      "variables": {
        "zfs_headers%": "<!(pkg-config --exists libzfs_core 2>/dev/null && echo 1 || echo 0)"
      },
      "conditions": [
        ["OS=='linux'", { "libraries": ["-ldl"] }],
        ["zfs_headers==1", {
          "sources": ["native/zfs/abi_check.cc"],
          "cflags_cc": ["<!@(pkg-config --cflags libzfs_core)"]
        }]
      ]
    }
  ]
}
