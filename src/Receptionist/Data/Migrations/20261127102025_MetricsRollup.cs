using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class MetricsRollup : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "call_metrics_hourly",
                columns: table => new
                {
                    hour = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    dimension = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    key = table.Column<Guid>(type: "uuid", nullable: false),
                    offered = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    answered = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    abandoned = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    short_abandoned = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    overflowed = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    answered_within_target = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    answered_within_billing_sla = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    handled = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    not_live = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    missed = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    not_billed = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    repeated = table.Column<long>(type: "bigint", nullable: false, defaultValue: 0L),
                    wait_seconds = table.Column<double>(type: "double precision", nullable: false, defaultValue: 0.0),
                    talk_seconds = table.Column<double>(type: "double precision", nullable: false, defaultValue: 0.0),
                    wrap_up_seconds = table.Column<double>(type: "double precision", nullable: false, defaultValue: 0.0),
                    available_seconds = table.Column<double>(type: "double precision", nullable: false, defaultValue: 0.0),
                    busy_seconds = table.Column<double>(type: "double precision", nullable: false, defaultValue: 0.0),
                    state_wrap_up_seconds = table.Column<double>(type: "double precision", nullable: false, defaultValue: 0.0)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_call_metrics_hourly", x => new { x.dimension, x.hour, x.key });
                });

            migrationBuilder.CreateTable(
                name: "call_wait_hourly",
                columns: table => new
                {
                    hour = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    wait_second = table.Column<int>(type: "integer", nullable: false),
                    calls = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_call_wait_hourly", x => new { x.hour, x.wait_second });
                });

            migrationBuilder.CreateTable(
                name: "metrics_rollup_state",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    covered_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    rolled_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    window_refreshed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    refreshed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    service_level_seconds = table.Column<int>(type: "integer", nullable: false),
                    short_abandon_seconds = table.Column<int>(type: "integer", nullable: false),
                    billing_sla_seconds = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_metrics_rollup_state", x => x.id);
                    table.CheckConstraint("ck_metrics_rollup_state_one_row", "id = 1");
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "call_metrics_hourly");

            migrationBuilder.DropTable(
                name: "call_wait_hourly");

            migrationBuilder.DropTable(
                name: "metrics_rollup_state");
        }
    }
}
